//! Placeholder: the kotlin binding lands here.
