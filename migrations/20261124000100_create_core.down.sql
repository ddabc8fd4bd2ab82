DROP TABLE IF EXISTS rate_limits, emails, magic_tokens, sessions, otp_devices, cartes_totp, aidant_organisations, aidants, organisations CASCADE;
DROP FUNCTION IF EXISTS check_current_organisation();
