DROP INDEX mandats_in_force_end_idx;
