"""What orgmodel says to its user, in Chinese and English: one catalogue, looked up by key.

The command line and the web app take their messages from here (the web app adds its own page
words in :mod:`orgmodel.web.i18n`, on top of this catalogue); the report's terms are in
:mod:`orgmodel.report.model` and :mod:`orgmodel.report.glossary`.

>>> say("zh", "run_variant", name="v1", moved=3, errors=0, warnings=1)
'v1                       调整组织关系       3 人  错误   0 处  提示   1 处'
>>> say("en", "pack_written", variant="v1", folder="out")
'implementation pack of v1: out'
"""

from __future__ import annotations

from orgmodel.errors import UserError

__all__ = ["LANGS", "MESSAGES", "Said", "say", "language"]

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # --- the command line -------------------------------------------------------------------
    "validated": ("检查通过：{file}：{units:,} 个组织，{members:,} 名党员，{variants} 个方案",
                    "ok: {file}: {units:,} units, {members:,} members, {variants} variant(s)"),
    "run_variant": ("{name:<24} 调整组织关系 {moved:>7,} 人  错误 {errors:>3} 处  提示 {warnings:>3} 处",
                    "{name:<24} {moved:>7,} moved   {errors:>4} error(s) {warnings:>4} warning(s)"),
    "results_at": ("结果：{path}", "results: {path}"),
    "simulation_at": ("模拟：{path}", "simulation: {path}"),
    "report_at": ("报告：{path}", "report:  {path}"),
    "pack_written": ("实施方案表（{variant}）：{folder}", "implementation pack of {variant}: {folder}"),
    "pack_with_names": ("（含姓名）", " (with names)"),
    "demo_head": ("{scenario}：{variants} 个方案，{members:,} 名党员", "{scenario}: {variants} variant(s) on {members:,} members"),
    "rerun_identical": ("已重现：{manifest} 的每个文件都逐字节相同（重算结果在 {folder}）",
                        "reproduced: every file of {manifest} is identical (rerun in {folder})"),
    # --- the web app's errors -----------------------------------------------------------------
    "no_results": ("还没有运行结果，请先运行。", "No results yet: run the scenario first."),
    "outside_folder": ("{name}：不在所服务的文件夹内", "{name}: outside the served folder"),
    "no_scenario": ("没有方案文件夹 {key}", "no scenario {key!r}"),
    "not_a_folder": ("{root}：不是文件夹", "{root}: not a folder"),
    "no_variant": ("没有方案 {name}", "no variant {name!r}"),
    "no_unit": ("{variant} 中没有组织 {unit}", "no unit {unit!r} in {variant}"),
    "no_report_format": ("没有 {fmt} 格式的报告", "no report format {fmt!r}"),
    "report_missing": ("结果文件夹中没有 report.{fmt}", "report.{fmt}: not in the results folder"),
    "no_diagram": ("没有图 {name}", "no diagram {name!r}"),
    "pack_no_workbook": ("{variant} 的实施方案表没有 Excel 文件", "the pack of {variant} has no workbook"),
    "unknown_strategy": ("没有调整方法 {name}（可用：{names}）", "unknown strategy {name!r} (strategies: {names})"),
    "no_strategy_step": ("方案 {name} 没有第 {step} 步调整方法", "variant {name!r} has no strategy step {step}"),
    "choose_roster": ("请选择花名册文件（.xlsx 或 .csv）", "choose a roster file (.xlsx or .csv)"),
    "bad_file_name": ("文件名 {name} 不能含路径，只写文件名", "file name {name!r} refused: a name only, without folders"),
    "too_large": ("文件过大：最多 {mb} MB", "the upload is larger than {mb} MB"),
    "upload_expired": ("上传已过期，请重新上传花名册", "the upload has expired; upload the roster again"),
    "no_roster_column": ("{field}：花名册中没有列 {header}", "{field}: no column {header!r} in the roster"),
}


def language(lang: str | None) -> str:
    """``lang`` when it is one of :data:`LANGS`, else Chinese (the default of every output).

    >>> language("en"), language(None), language("fr")
    ('en', 'zh', 'zh')
    """
    return lang if lang in LANGS else "zh"


def say(lang: str | None, message_key: str, /, **values: object) -> str:
    """The message ``message_key`` in ``lang`` (``zh`` or ``en``; anything else: Chinese), filled with ``values``."""
    zh, en = MESSAGES[message_key]
    text = en if language(lang) == "en" else zh
    return text.format(**values) if values else text


class Said(UserError):
    """A user error that is a message of the catalogue: English as a string (the command line's
    errors are English), and in any language through :meth:`in_language` (the web app's pages).

    >>> e = Said("no_variant", name="v9")
    >>> str(e), e.in_language("zh")
    ("no variant 'v9'", '没有方案 v9')
    """

    def __init__(self, message_key: str, /, **values: object) -> None:
        self.key, self.values = message_key, values
        super().__init__(say("en", message_key, **values))

    def in_language(self, lang: str | None) -> str:
        """The message in ``lang``."""
        return say(lang, self.key, **self.values)
