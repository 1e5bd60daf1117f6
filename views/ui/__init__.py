"""The HTML screens (thin FAB views), one module per screen family:

- ``home``: the 事项办理 home page (``HomeView``, FAB's index view: config.py ``FAB_INDEX_VIEW``);
- ``filing``: 备案申请 / 办理结果 / the tabbed filing page (``FilingView``), with the form helpers of ``forms``;
- ``imports``: the Excel import screens of the filing tabs (``FilingImportView``);
- ``trainees``: 单位培训人员查询 with 导出学员名单 (one view per programme menu);
- ``review``: 审核管理 → 备案审核 (``ReviewFilingView``) and 打印备案表 (``FilingPrintView``);
- ``timeline``: the labels of the audit timeline (Jinja globals);
- ``registry``: 基础数据, 单位信息 and 生态链企业认定维护.

Which of them are menu entries, for whom, is the menu table ``views/menu.py``; the others are registered without a
menu by ``app.py``.
"""
