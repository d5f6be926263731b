// Module MSGKernels: see docs/DESIGN.md.
