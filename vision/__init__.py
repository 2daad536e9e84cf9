"""Vision: face detection, quality gate, recognition against an encrypted gallery,
ID-card enrolment and facial-expression sampling for the service-hall robot.

The app server calls `vision.service.FaceService`; everything else is a building block."""
