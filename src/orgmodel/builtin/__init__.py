"""Built-in plugins: features of the core registered through the same hooks as any plugin."""
