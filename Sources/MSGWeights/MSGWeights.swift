// Module MSGWeights: see docs/DESIGN.md.
