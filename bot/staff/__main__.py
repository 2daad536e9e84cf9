"""`python -m bot.staff list | passwd STAFF_ID`: the staff console's accounts (bot.staff.accounts)."""
import sys

from bot.staff.accounts import main

sys.exit(main())
