DROP INDEX IF EXISTS journal_code_proof_idx;
DROP TABLE IF EXISTS idp_tokens, idp_flows, idp_signing_keys, idp_clients;
