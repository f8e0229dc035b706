; switch statements: the subject and the body holding the case labels.
(switch_statement
  condition: (parenthesized_expression) @subject
  body: (compound_statement) @body) @switch
