"""Hook specifications, the plugin host, the Strategy base class and the plugin scaffold."""
