"""rmslab: reference implementations for *RMSProp from first principles*."""
