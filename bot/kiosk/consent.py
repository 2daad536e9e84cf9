"""The face-template consent the kiosk asks (bot/static/kiosk.html shows this text beside the box).
A new wording gets a new version: each recorded consent says which text the customer agreed to."""
FACE_CONSENT_VERSION = "face-template-2026-12-v1"
FACE_CONSENT_TEXT = "同意保存我的人脸特征，下次来营业厅刷脸办理（可随时要求删除）"
