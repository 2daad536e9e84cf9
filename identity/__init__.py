"""Identity checks shared by the dialogue actions, vision enrolment and the business system."""
