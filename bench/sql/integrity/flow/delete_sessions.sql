-- The workload: users delete %(percent)s %% of all chat sessions (a fixed, hash-chosen subset).
DELETE FROM public.chat_sessions WHERE abs(hashtext(id::text)) %% 100 < %(percent)s
