"""The annual report to the regulator (SPEC R9): it reads cases and limits, so it sits above both."""
