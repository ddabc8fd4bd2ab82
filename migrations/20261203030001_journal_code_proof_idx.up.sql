-- The session's query reads the aidant's last code proof (their last connect_aidant or
-- activity_check_aidant entry) on every request. Through journal_aidant_idx it walked back over
-- every entry of the aidant since (each FI login journals a use_autorisation for them): a cost
-- that grew through the day. This index holds only the code proofs: one row read.
CREATE INDEX journal_code_proof_idx ON journal (aidant_id, id) WHERE action IN ('connect_aidant', 'activity_check_aidant');
