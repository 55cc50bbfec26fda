// Package catalog is the list of service items a street service center
// handles remotely (医保, 社保, 长护险, 民政 …). The list ships as a versioned
// data file (items.json) that seeds the store; admins edit items over HTTP,
// and a seed never overwrites what an admin changed. Stations and the queue
// read the enabled items often, so they are served from an in-memory cache.
package catalog
