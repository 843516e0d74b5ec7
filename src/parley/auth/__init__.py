"""Who may do what: permissions, and the principals holding them."""
