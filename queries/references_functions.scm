; Function definitions: the name, the parameter list and the body.
; Used for the enclosing-function map, the call graph and the
; one-level call rule (which parameters a function tests).
(function_definition
  declarator: (function_declarator
    declarator: (identifier) @name
    parameters: (parameter_list) @params)
  body: (compound_statement) @body) @function
