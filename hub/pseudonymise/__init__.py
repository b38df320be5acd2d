"""Later issues build this stage; see DESIGN.md."""
