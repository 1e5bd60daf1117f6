"""Business rules (DESIGN §5, §7): one function per transition. Each loads its rows through the scope,
checks the transition table, checks the rules, changes the rows, writes an AuditEvent and raises a
DomainError on failure. No commit, flash or redirect in here: the caller (views/glue.py) commits once."""
