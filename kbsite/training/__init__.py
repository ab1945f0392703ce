"""Training: courses, quizzes and drills (pure format, grading and scheduling modules)."""
