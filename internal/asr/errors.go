package asr

import "errors"

// ErrClosed is returned by Broker.Subscribe after Broker.Close.
var ErrClosed = errors.New("asr: closed")

// ErrTooManySubscribers is returned by Broker.Subscribe when
// BrokerConfig.MaxSubscribers streams are open already.
var ErrTooManySubscribers = errors.New("asr: too many event subscribers")
