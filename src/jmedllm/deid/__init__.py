"""Japanese clinical de-identification: detect, redact and pseudonymise PHI.

``PhiAnalyzer`` finds spans (offsets into the original text); ``Redactor`` replaces
them (mask, pseudonymise, hash). Recognizers are plugins of ``deid.recognizer``.
"""
