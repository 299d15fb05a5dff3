//! Pure drift detection: desired vs live managed fields -> drift items and percentage.
