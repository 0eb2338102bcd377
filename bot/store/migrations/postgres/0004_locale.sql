-- Placeholder: the i18n branch brings the real 0004_locale.sql. This one only keeps the
-- numbering without a gap so that 0005 loads on its own; when the two branches meet, git
-- reports both adding this file, and theirs is the one to keep.
SELECT 1;
