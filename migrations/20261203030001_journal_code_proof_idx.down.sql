DROP INDEX IF EXISTS journal_code_proof_idx;
