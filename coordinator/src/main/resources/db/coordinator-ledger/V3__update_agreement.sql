-- Issue 14, point 3: each counted update's agreement with its round's other updates (the cosine between it and the
-- sum of the others' unit vectors, UpdateAgreement), recorded when its round is aggregated; NULL where the round
-- had fewer than 3 updates to compare or the update was dropped before the screen.
ALTER TABLE updates ADD COLUMN agreement REAL;
