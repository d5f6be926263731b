// Module MSGImage: see docs/DESIGN.md.
