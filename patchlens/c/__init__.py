"""What is C, not kernel: parsing, syntax shapes, macro bodies, the
constant-expression evaluator, type widths and LP64 struct sizes."""
