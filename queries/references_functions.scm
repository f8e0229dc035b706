; Function definitions: the name, the parameter list and the body.
; Used for the call graph and the one-level call rule (which parameters
; a function tests).  Functions returning pointers wrap the function
; declarator in one or two pointer declarators.
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
