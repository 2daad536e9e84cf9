// Generated from hallbot/payloads.py by `python -m hallbot.payloads --js`: do not edit.
// The custom payloads a reply may carry and their fields (tests/contracts/test_payloads.py checks it).
const PAYLOAD_FIELDS = Object.freeze({
  "application": ["application_id", "kind", "status", "account_no"],
  "arrears": ["items"],
  "bills": ["bills"],
  "confirm_payment": ["account_no", "amount"],
  "error": ["code"],
  "face_deletion": ["customer_id"],
  "face_deletion_result": ["ok"],
  "face_enrolment": ["customer_id", "consent"],
  "face_enrolment_result": ["ok"],
  "handoff": ["customer_id", "business_type", "staff", "transcript", "reason", "pending_request"],
  "invoice": ["invoice_id", "account_no", "period", "amount"],
  "outage_ticket": ["ticket_id", "address", "planned_outage"],
  "payment": ["payment_id", "account_no", "amount", "balance_after"],
  "prompt": ["kind"],
  "rating_request": [],
  "recommendations": ["customer_id", "items"],
  "risk_review": ["review_id", "operation", "summary", "customer_id"],
  "risk_review_result": ["review_id", "approved"],
  "staff_coming": ["staff"],
  "staff_intervention": ["reason"],
});
const RENDERED_PAYLOADS = Object.freeze(["application", "arrears", "bills", "confirm_payment", "handoff", "invoice", "outage_ticket", "payment", "recommendations", "staff_coming"]);
