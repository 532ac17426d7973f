"""The web app's messages in Chinese and English: one catalogue, looked up by key.

The catalogue is the command line's (:data:`orgmodel.messages.MESSAGES`, which holds the web app's
error messages too) with the words of the web pages added. The terms the report already names (its section titles, "baseline") are taken from the report's
own table (:data:`orgmodel.report.model.REPORT_SECTIONS`), so a term is translated once.

>>> t("zh", "run")
'运行'
>>> t("en", "rows_errors", n=2)
'2 error(s)'
"""

from __future__ import annotations

from orgmodel.messages import LANGS
from orgmodel.messages import MESSAGES as SHARED
from orgmodel.report.model import REPORT_SECTIONS

__all__ = ["LANGS", "MESSAGES", "t"]

MESSAGES: dict[str, tuple[str, str]] = {**SHARED, **{
    "app": ("组织设置方案工作台", "Organisation planner"),
    "scenarios": ("方案文件夹", "Scenario folders"),
    "open": ("打开", "open"),
    "variants": ("方案", "Variants"),
    "variant": ("方案", "variant"),
    "steps": ("步骤", "steps"),
    "no_steps": ("不作调整", "no change"),
    "validate": ("检查", "Validate"),
    "validate_ok": ("检查通过：{units} 个组织，{members} 名党员，{variants} 个方案",
                    "ok: {units} units, {members} members, {variants} variant(s)"),
    "run": ("运行", "Run"),
    "running": ("正在运行", "Running"),
    "cancel": ("取消", "Cancel"),
    "cancelled": ("已取消，原有结果保持不变。", "Cancelled; the previous results are unchanged."),
    "run_done": ("运行完成，用时 {seconds} 秒。", "Done in {seconds} s."),
    "run_failed": ("运行出错：{error}", "The run failed: {error}"),
    "busy": ("已有一个运行正在进行。", "A run is already in progress."),
    "compare": ("方案对比", "Compare"),
    "choose_variants": ("选择要对比的方案", "Variants to compare"),
    "show": ("显示", "show"),
    "downloads": ("下载", "Downloads"),
    "report_html": ("分析报告（HTML）", "Report (HTML)"),
    "report_pdf": ("分析报告（PDF）", "Report (PDF)"),
    "report_docx": ("分析报告（Word）", "Report (Word)"),
    "pack_xlsx": ("实施方案表（Excel）", "Implementation pack (Excel)"),
    "scenario_zip": ("方案文件夹（zip）", "Scenario folder (zip)"),
    "unit": ("组织", "Unit"),
    "kind": ("类型", "kind"),
    "parent": ("上级", "parent"),
    "counts": ("人数", "Counts"),
    "direct": ("直属党员", "members (direct)"),
    "direct_full": ("直属正式党员", "full members (direct)"),
    "members_total": ("党员（含下级）", "members (with units below)"),
    "full_total": ("正式党员（含下级）", "full members (with units below)"),
    "participants": ("参加活动的党员", "participants"),
    "roles": ("职务", "roles"),
    "dissolved": ("已撤销", "dissolved"),
    "findings": ("规则检查", "Findings"),
    "no_findings": ("无", "none"),
    "unit_changes": ("本组织的变化", "Changes of this unit"),
    "units_search": ("查找组织", "Find a unit"),
    "edit": ("编辑", "edit"),
    "delete": ("删除", "delete"),
    "up": ("上移", "up"),
    "down": ("下移", "down"),
    "save": ("保存", "Save"),
    "add_variant": ("新增方案", "Add a variant"),
    "add_step": ("新增步骤", "Add a step"),
    "name": ("名称（英文标识）", "name (identifier)"),
    "label": ("显示名称", "label"),
    "description": ("说明", "description"),
    "strategy": ("调整方法", "strategy"),
    "params": ("参数", "parameters"),
    "scope": ("范围（只调整这些组织）", "scope (only these units change)"),
    "locks": ("锁定（这些组织保持不变）", "locks (these units stay as they are)"),
    "default": ("默认", "default"),
    "saved": ("已保存到 scenario.yaml。", "Saved to scenario.yaml."),
    "new_scenario": ("从花名册新建", "New from a roster"),
    "upload_roster": ("上传党员花名册（Excel 或 CSV）", "Upload a roster (Excel or CSV)"),
    "upload": ("上传", "Upload"),
    "map_columns": ("对应列", "Map the columns"),
    "column_for": ("表中的列", "column in the file"),
    "not_in_file": ("（无）", "(none)"),
    "preview": ("预览（前 {n} 行）", "Preview (first {n} rows)"),
    "check": ("检查", "Check"),
    "rows_errors": ("{n} 处错误", "{n} error(s)"),
    "row": ("行", "row"),
    "column": ("列", "column"),
    "error": ("问题", "problem"),
    "no_errors": ("没有错误，可以保存。", "No errors: ready to save."),
    "scenario_name": ("方案名称", "scenario name"),
    "folder": ("文件夹", "folder"),
    "created": ("已新建方案文件夹 {folder}。", "Created the scenario folder {folder}."),
    "language": ("English", "中文"),
    "home": ("首页", "Home"),
    "field_id": ("编号", "id"),
    "field_name": ("姓名", "name"),
    "field_status": ("党员类别", "category"),
    "field_branch": ("所在支部", "branch"),
    "field_group": ("所在党小组", "group"),
    "field_birth_date": ("出生日期", "birth date"),
    "field_joined": ("入党日期", "joined"),
    "moved": ("调整人数", "members moved"),
    "errors_warnings": ("错误/提示", "errors/warnings"),
    "baseline": ("现状基线", "baseline"),
    "units_of": ("组织一览", "Units"),
    "stage_load": ("读取方案文件", "reading the scenario"),
    "stage_baseline": ("读取名册、建立现状", "reading the rosters"),
    "stage_run": ("生成调整方案", "running the variants"),
    "stage_evaluate": ("计算指标、检查规则", "metrics and rules"),
    "stage_simulate": ("模拟各方案", "simulating the variants"),
    "stage_write": ("写入结果", "writing the results"),
    "replications": ("模拟次数", "simulation runs"),
    "replications_help": ("每个方案模拟的次数（0：不模拟）", "seeded runs per variant (0: no simulation)"),
    "seconds_left": ("约剩 {seconds} 秒", "about {seconds} s left"),
    "bad_replications": ("模拟次数须为0到100000的整数", "simulation runs: a whole number from 0 to 100000"),
    "stage_report": ("生成报告和图", "writing the report"),
    "stage_pack": ("生成实施方案表", "writing the pack"),
    "status_violated": ("不符合", "violated"),
    "status_approved": ("已批准例外", "approved"),
    "status_not_checked": ("未检查", "not checked"),
    "open_full": ("查看原图", "full size"),
    "failed_lead": ("未能完成：", "Could not do that: "),
    "n_created": ("新建", "created"),
    "n_dissolved": ("撤销", "dissolved"),
    "n_retyped": ("升格或改设", "retyped"),
    "n_moved": ("调整组织关系", "members moved"),
}}
MESSAGES.update({f"section_{key}": value for key, value in REPORT_SECTIONS.items()})


def t(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` (``zh`` or ``en``), filled with ``values``."""
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text
