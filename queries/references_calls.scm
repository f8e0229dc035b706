; Direct calls by name (callee identifiers), for the call graph.
(call_expression function: (identifier) @callee)
