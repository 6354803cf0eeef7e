"""E-mail in the window: the mailbox read in the background."""
