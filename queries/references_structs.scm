; Struct instances with an initializer: `struct msi_domain_info foo = {...}`.
(declaration
  type: (struct_specifier name: (type_identifier) @type)
  declarator: (init_declarator
    declarator: (_) @variable
    value: (initializer_list) @init))
