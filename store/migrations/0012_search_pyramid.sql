-- Archive search, newest first, without reading every match.
--
-- A GIN index finds the questions that match in no particular order; the newest 20 of a
-- common word are then a sort of tens of thousands of rows, each read from the heap. The
-- index below also holds each question's place in time as a pyramid of buckets: its
-- six-hour slot (b0), the two-slot bucket around it (b1), the four-slot one (b2) … up to
-- 2^15 slots (22 years). store.Search walks back in time one bucket at a time, smallest
-- first and then larger (question_steps), asking the index for the matches in that bucket
-- only, and stops when it has enough: a common word is answered from the newest six hours,
-- a rare one from a dozen buckets, and either way about as many rows are read from the
-- heap as are returned. The filters people use most (township, category, crop) are tags
-- in the same array, so a filter narrows the matches inside the index too. The county is
-- not: nearly every question of a bureau's archive is its county's, and a tag every row
-- has only slows the index down (稻飞虱 in a township: 1.5–2.5 ms with it, 0.9–1.1
-- without); the heap checks the county of the few rows it reads.
--
-- Tags in one text[] rather than the columns themselves (btree_gin): btree_gin answers
-- township = '白泥镇' by reading every question of the township into a bitmap first (it
-- is a range scan of the index; 20 ms for a county of a million); an array element is one
-- index entry that the scan skips through like a word.

-- question_slot is the six-hour slot a time falls in, counted from 2000 (UTC).
CREATE FUNCTION question_slot(asked timestamptz) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN greatest(0, floor(extract(epoch FROM asked - timestamptz '2000-01-01 00:00:00+00') / 21600))::int;

-- question_tags is what the index knows of a question besides its words: every bucket
-- its time falls in ('b3:4910' is slot >> 3 = 4910) and its filters.
CREATE FUNCTION question_tags(asked timestamptz, township text, category text, crop text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['b0:' || question_slot(asked)::text,
        'b1:' || (question_slot(asked) >> 1)::text, 'b2:' || (question_slot(asked) >> 2)::text,
        'b3:' || (question_slot(asked) >> 3)::text, 'b4:' || (question_slot(asked) >> 4)::text,
        'b5:' || (question_slot(asked) >> 5)::text, 'b6:' || (question_slot(asked) >> 6)::text,
        'b7:' || (question_slot(asked) >> 7)::text, 'b8:' || (question_slot(asked) >> 8)::text,
        'b9:' || (question_slot(asked) >> 9)::text, 'b10:' || (question_slot(asked) >> 10)::text,
        'b11:' || (question_slot(asked) >> 11)::text, 'b12:' || (question_slot(asked) >> 12)::text,
        'b13:' || (question_slot(asked) >> 13)::text, 'b14:' || (question_slot(asked) >> 14)::text,
        'b15:' || (question_slot(asked) >> 15)::text,
        'township:' || township, 'category:' || category, 'crop:' || crop];

-- question_steps is the buckets (as question_tags names them) that cover the slots from
-- newest back to oldest without overlap, newest first: one slot, then buckets that at most
-- double each step, so a search that finds little still ends in about 2 log2(slots) steps.
-- Doubling, not faster: the index pays for every match in a bucket (and the heap is read
-- for each), so the last step should not hold many more matches than were asked for; with
-- steps growing fourfold a rare word took 1.5–2 times as long. The last bucket may reach
-- before oldest; the search's own time filter cuts it.
CREATE FUNCTION question_steps(newest int, oldest int) RETURNS SETOF text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    cur int := newest + 1; -- the slot after the next bucket
    grow int := 0;
    l int;
BEGIN
    WHILE cur > oldest LOOP
        l := grow;
        WHILE l > 0 AND cur % (1 << l) <> 0 LOOP
            l := l - 1;
        END LOOP;
        RETURN NEXT 'b' || l::text || ':' || ((cur >> l) - 1)::text;
        cur := cur - (1 << l);
        grow := least(l + 1, 15);
    END LOOP;
END $$;

-- A small pending list: GIN puts new entries in an unsorted list that every scan reads
-- whole until it is merged (at 4 MB by default, or by vacuum), and a search scans the
-- index once per step. With 30,000 new questions pending, a rare word took 95 ms instead
-- of 1.2; 64 kB keeps that to a few pages, and the merges stay batched (with fastupdate
-- off each question's insert would pay ~0.4 ms for its 35 entries instead).
CREATE INDEX questions_search_in_time ON questions
    USING gin (question_tags(asked_at, township, category_id, crop), search)
    WITH (gin_pending_list_limit = 64);
-- The new index answers every search the old one did (similar questions too).
DROP INDEX questions_search;
