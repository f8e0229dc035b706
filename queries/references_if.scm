; if statements; the filter extractor keeps those comparing a subject
; with family constants and follows their else-if chains.
(if_statement
  condition: (parenthesized_expression) @condition) @if
