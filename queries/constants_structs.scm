; Struct definitions with a body: the fields of each are read in Python
; (sizes.py), including fields under #ifdef.

(struct_specifier
  name: (type_identifier) @struct.name
  body: (field_declaration_list) @struct.body) @struct

(type_definition
  type: (_) @typedef.type
  declarator: (type_identifier) @typedef.name) @typedef
