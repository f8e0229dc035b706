; Every identifier in a function body (parameter uses, one-level rule).
(identifier) @id
