// Module MSGGen: see docs/DESIGN.md.
