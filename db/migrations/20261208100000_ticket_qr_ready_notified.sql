-- "Your QR code is ready" (E9-F2): when the QR tier of a ticket opens (5 hours before
-- kick-off) its owner gets a push, once. qr_ready_notified_at records that the ticket was
-- handled (pushed, or passed over: bought after the QR opened, or the match kicked off
-- before the job saw it). Written only by the tickets job tickets.notify-qr-ready.
ALTER TABLE tickets ADD COLUMN qr_ready_notified_at timestamptz;

-- The job's work list: tickets not handled yet, by match (it drains as matches open).
CREATE INDEX tickets_qr_ready_pending_idx ON tickets (match_id)
  WHERE qr_ready_notified_at IS NULL;

-- Tickets of matches already kicked off are past any QR notice.
UPDATE tickets t
   SET qr_ready_notified_at = now()
  FROM matches m
 WHERE m.id = t.match_id
   AND m.kick_off_time <= now();
