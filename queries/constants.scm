; Constant definitions in a C file: enums (named or anonymous), object-like
; macros, and struct definitions (for array members and sizes).
; Enumerators are read from @enum.body in Python, in document order, so
; that enumerators under #ifdef inside the enum keep their place.

(enum_specifier
  name: (type_identifier)? @enum.name
  body: (enumerator_list) @enum.body) @enum

(preproc_def
  name: (identifier) @macro.name
  value: (preproc_arg)? @macro.value) @macro
