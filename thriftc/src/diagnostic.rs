//! Diagnostics as data (errors and warnings with spans), and their rendering.
