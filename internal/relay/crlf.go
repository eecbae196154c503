package relay

// crlfConverter turns every "\n" not already preceded by "\r" into "\r\n",
// remembering the last byte across chunks so a "\r\n" split over two reads
// is not doubled. A lone "\r" is left alone; received data is never touched.
type crlfConverter struct {
	lastCR bool
	out    []byte
}

func (c *crlfConverter) convert(in []byte) []byte {
	c.out = c.out[:0]
	for _, b := range in {
		if b == '\n' && !c.lastCR {
			c.out = append(c.out, '\r')
		}
		c.out = append(c.out, b)
		c.lastCR = b == '\r'
	}
	return c.out
}
