"""Access control: roles and what each may do (roles), who a signed-in
address is (policy), and the wall display's token link (display)."""
