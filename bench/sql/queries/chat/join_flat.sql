-- The chat universe in one flat JOIN: profile x state (1:1) x sessions.
SELECT p.id AS p_id, p.email AS p_email, p.full_name AS p_full_name, p.avatar_url AS p_avatar_url,
       p.created_at AS p_created_at, p.updated_at AS p_updated_at,
       us.user_id AS us_user_id, us.current_session_id AS us_current_session_id,
       us.ui_preferences AS us_ui_preferences, us.chat_preferences AS us_chat_preferences,
       us.last_active AS us_last_active,
       cs.id AS cs_id, cs.user_id AS cs_user_id, cs.adk_session_id AS cs_adk_session_id,
       cs.session_title AS cs_session_title, cs.session_metadata AS cs_session_metadata, cs.created_at AS cs_created_at
FROM profiles p
LEFT JOIN user_state us ON us.user_id = p.id
LEFT JOIN chat_sessions cs ON cs.user_id = p.id
WHERE p.id = $1
