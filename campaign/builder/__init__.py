"""The campaign builder: organizers write, illustrate, submit and close their campaigns."""
