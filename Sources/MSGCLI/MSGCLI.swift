// Module MSGCLI: see docs/DESIGN.md.
