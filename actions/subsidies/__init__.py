"""补贴申领 (manual §3.2.3, R20–R23): the write side of subsidy claims.

- ``amounts``: the 补贴标准 in force and the amount per person (R22), Decimal yuan rounded to fen;
- ``prechecks``: the per-person pre-checks (R21), set-based over a claim's persons;
- ``claims``: creating a claim after the 承诺书 (R20), its unit info, persons and attachments, and the guards and
  effects of the enterprise's transitions (submit, cancel, delete);
- ``decisions``: the city reviewer's per-person decision and the approve / return effects (R23).
The state changes themselves are rows of ``actions.transitions`` run by ``actions.workflow.run``.
"""
