// The Sensitivity module. See Package.swift for its place in the layering.
