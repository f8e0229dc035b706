; Everything the per-file extractors read, in one pass over the tree
; (each query run is a walk of the whole tree, ~1 ms a file: one walk
; instead of five).  Capture names tell the shapes apart:
; @function (definitions: call graph, one-level call rule), @callee
; (direct calls), @init (struct instances), @switch and @if (token
; filters).

; Function definitions: the name, the parameter list and the body.
; Functions returning pointers wrap the function declarator in one or
; two pointer declarators.
(function_definition
  declarator: [
    (function_declarator
      declarator: (identifier) @name
      parameters: (parameter_list) @params)
    (pointer_declarator
      declarator: (function_declarator
        declarator: (identifier) @name
        parameters: (parameter_list) @params))
    (pointer_declarator
      declarator: (pointer_declarator
        declarator: (function_declarator
          declarator: (identifier) @name
          parameters: (parameter_list) @params)))
  ]
  body: (compound_statement) @body) @function

; Direct calls by name (callee identifiers), for the call graph.
(call_expression function: (identifier) @callee)

; Struct instances with an initializer: `struct msi_domain_info foo = {...}`.
(declaration
  type: (struct_specifier name: (type_identifier) @type)
  declarator: (init_declarator
    declarator: (_) @variable
    value: (initializer_list) @init))

; switch statements: the subject and the body holding the case labels.
(switch_statement
  condition: (parenthesized_expression) @subject
  body: (compound_statement) @body) @switch

; if statements; the filter extractor keeps those comparing a subject
; with family constants and follows their else-if chains.
(if_statement
  condition: (parenthesized_expression) @condition) @if
